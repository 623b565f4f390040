package store

import "database/sql"

// DB exposes the read pool to the tests of package store_test, which query
// the mail views the way Postfix and Dovecot do.
func (s *Store) DB() *sql.DB { return s.read }
