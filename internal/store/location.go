package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
)

// Kamailio's usrloc (db_mode 3) owns the location table; Switchboard reads
// an account's rows and deletes them, and writes none except through
// WriteKamailioBinding, which tests use to stand in for Kamailio.
//
// Its TIMESTAMP columns are written by Kamailio's database drivers, each
// its own way:
//   - db_sqlite binds a DB1_DATETIME as a REAL Julian day number,
//     (t - 0.5) / 86400 + 2440587.5, and reads it back as
//     (time_t)(86400 * (jd - 2440587.5) + 0.5); the schema's defaults are
//     TEXT "YYYY-MM-DD HH:MM:SS".
//   - db_postgres prints it as "YYYY-MM-DD HH:MM:SS" in Kamailio's local
//     time zone (srdb1 db_time2str: localtime_r) into TIMESTAMP WITHOUT
//     TIME ZONE. Switchboard reads those in its own local zone, so both run
//     with the same TZ (UTC is the simple choice).
//
// usrloc's expires of 0 (the epoch) marks a permanent contact.

// maxBindings bounds the rows read for one account: Kamailio's
// max_contacts keeps real ones to a handful.
const maxBindings = 1000

// Binding is one row of Kamailio's location table.
type Binding struct {
	ID        int64
	Ruid      string
	Contact   string // the contact URI with its parameters
	Instance  string // +sip.instance as Kamailio stored it, "" for none
	UserAgent string
	Expires   time.Time // zero: permanent
	Modified  time.Time
}

// Bindings lists the location rows of username@domain, expired ones
// included, in id order.
func (tx *Tx) Bindings(ctx context.Context, username, domain string) ([]Binding, error) {
	rows, err := tx.query(ctx, "list bindings", `SELECT id, ruid, contact, COALESCE(instance, ''), user_agent, expires, last_modified
		FROM location WHERE username = ? AND domain = ? ORDER BY id LIMIT ?`, username, domain, maxBindings)
	if err != nil {
		return nil, err
	}
	var out []Binding
	err = each(rows, "list bindings", func(r *sql.Rows) error {
		var b Binding
		var expires, modified any
		if err := r.Scan(&b.ID, &b.Ruid, &b.Contact, &b.Instance, &b.UserAgent, &expires, &modified); err != nil {
			return err
		}
		if b.Expires, err = tx.kamailioTime(expires); err != nil {
			return fmt.Errorf("binding %d expires: %w", b.ID, err)
		}
		if b.Modified, err = tx.kamailioTime(modified); err != nil {
			return fmt.Errorf("binding %d last_modified: %w", b.ID, err)
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

// DeleteBindings deletes location rows (and their location_attrs) by id.
func (tx *Tx) DeleteBindings(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		if _, err := tx.exec(ctx, "delete binding", `DELETE FROM location_attrs WHERE ruid IN (SELECT ruid FROM location WHERE id = ?)`, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "delete binding", `DELETE FROM location WHERE id = ?`, id); err != nil {
			return err
		}
	}
	return nil
}

// WriteKamailioBinding inserts a location row exactly as Kamailio 5.6's
// usrloc writes one through the store's driver (db_sqlite or db_postgres);
// Switchboard itself never registers anything, so tests use it in place of
// a running Kamailio. Expires zero writes a permanent contact.
func (tx *Tx) WriteKamailioBinding(ctx context.Context, username, domain string, b Binding) error {
	_, err := tx.exec(ctx, "write binding", `INSERT INTO location (ruid, username, domain, contact, expires, q, callid, cseq,
			last_modified, flags, cflags, user_agent, socket, methods, instance, reg_id, server_id, connection_id, keepalive, partition)
		VALUES (?, ?, ?, ?, ?, -1, ?, 1, ?, 0, 0, ?, 'udp:127.0.0.1:5060', 8191, ?, 0, 0, -1, 0, 0)`,
		b.Ruid, username, domain, b.Contact, tx.kamailioValue(b.Expires), "callid-"+b.Ruid, tx.kamailioValue(b.Modified),
		b.UserAgent, nullable(b.Instance))
	return err
}

// kamailioValue is t as Kamailio's driver binds a DB1_DATETIME.
func (tx *Tx) kamailioValue(t time.Time) any {
	sec := int64(0)
	if !t.IsZero() {
		sec = t.Unix()
	}
	if tx.dialect == Postgres {
		return time.Unix(sec, 0).In(time.Local).Format(kamailioLayout)
	}
	return (float64(sec)-0.5)/86400 + julianEpoch
}

const (
	kamailioLayout = "2006-01-02 15:04:05"
	julianEpoch    = 2440587.5 // the Julian day of 1970-01-01 00:00 UTC
)

// kamailioTime reads a location TIMESTAMP as the driver returns it: a
// Julian day (REAL, or INTEGER when whole) or Unix seconds (usrloc's
// expires_type 1) from SQLite, text from either, time.Time from pgx (or
// from modernc for text in a TIMESTAMP column). The epoch and before is
// the zero time.
func (tx *Tx) kamailioTime(v any) (time.Time, error) {
	var sec int64
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case float64:
		sec = julianSeconds(x)
	case int64:
		if x < 1e7 { // a whole Julian day; Unix seconds are far larger
			sec = julianSeconds(float64(x))
		} else {
			sec = x
		}
	case []byte:
		return tx.kamailioTime(string(x))
	case string:
		s := strings.TrimSpace(x)
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return tx.kamailioTime(f)
		}
		t, err := time.ParseInLocation(kamailioLayout, s, tx.wallZone())
		if err != nil {
			if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
				return time.Time{}, fmt.Errorf("unreadable time %q", s)
			}
		}
		sec = t.Unix()
	case time.Time:
		if tx.dialect == Postgres {
			// pgx hands TIMESTAMP WITHOUT TIME ZONE over as UTC wall clock.
			x = time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), 0, time.Local)
		}
		sec = x.Unix()
	default:
		return time.Time{}, fmt.Errorf("unreadable time of type %T", v)
	}
	if sec <= 0 {
		return time.Time{}, nil
	}
	return time.Unix(sec, 0).UTC(), nil
}

// julianSeconds is db_sqlite's sqlite_to_timet, rounded rather than
// truncated: a double holds a Julian day of today to some 50 µs, so the
// truncation Kamailio does may land one second early.
func julianSeconds(jd float64) int64 {
	if math.IsNaN(jd) || math.IsInf(jd, 0) || math.Abs(jd) > 1e9 {
		return 0
	}
	return int64(math.Round(86400*(jd-julianEpoch) + 0.5))
}

// wallZone is the zone of a TIMESTAMP's text: Kamailio's local time on
// PostgreSQL, UTC for SQLite's defaults (db_sqlite never writes text).
func (tx *Tx) wallZone() *time.Location {
	if tx.dialect == Postgres {
		return time.Local
	}
	return time.UTC
}

// planeAlgorithm is the digest algorithm Kamailio challenges with as an
// expression, "" when none is set: SIPPlaneAlgorithm's, and a column of
// ShareTenantAndPlane.
const planeAlgorithm = `COALESCE((SELECT algorithm FROM sip_plane WHERE singleton = 1), '')`

// SIPPlaneAlgorithm returns the digest algorithm Kamailio challenges with
// ("" for none set).
func (tx *Tx) SIPPlaneAlgorithm(ctx context.Context) (string, error) {
	var alg string
	err := tx.queryRow(ctx, `SELECT `+planeAlgorithm).Scan(&alg)
	return alg, classify("SIP plane", err)
}

// SetSIPPlaneAlgorithm sets the digest algorithm Kamailio challenges with.
func (tx *Tx) SetSIPPlaneAlgorithm(ctx context.Context, alg string) error {
	_, err := tx.exec(ctx, "SIP plane", `INSERT INTO sip_plane (singleton, algorithm) VALUES (1, ?)
		ON CONFLICT (singleton) DO UPDATE SET algorithm = excluded.algorithm`, alg)
	return err
}

// CountSIPAccountsWithoutHA1 counts the accounts the SIP plane would let
// register (active and activated) that have no HA1 for alg.
func (tx *Tx) CountSIPAccountsWithoutHA1(ctx context.Context, alg string) (int, error) {
	col := ""
	switch alg {
	case "MD5":
		col = "ha1_md5"
	case "SHA-256":
		col = "ha1_sha256"
	default:
		return 0, sb.Errorf(sb.EINVALID, "unknown digest algorithm %q", alg)
	}
	var n int
	err := tx.queryRow(ctx, `SELECT count(*) FROM accounts WHERE active AND activated AND (`+col+` IS NULL OR `+col+` = '')`).Scan(&n)
	return n, classify("count accounts", err)
}
