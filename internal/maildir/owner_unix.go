//go:build unix

package maildir

import (
	"os"
	"syscall"
)

// mailOwner returns how to give a created file to the owner of the mail
// root (Dovecot's mail_uid in a real install): when running as root, chown;
// otherwise the files are ours already.
func mailOwner(mailRoot string) (func(*os.Root, string) error, error) {
	none := func(*os.Root, string) error { return nil }
	if os.Geteuid() != 0 {
		return none, nil
	}
	fi, err := os.Stat(mailRoot)
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 && st.Gid == 0 {
		return none, nil
	}
	return func(r *os.Root, p string) error { return r.Lchown(p, int(st.Uid), int(st.Gid)) }, nil
}
