package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/sipconfig"
)

// sipconfigCmd writes the Kamailio configuration that reads the store's
// sip_subscribers views and keeps its registrations in the store, after
// making sure the store is reachable and migrated.
func sipconfigCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sipconfig", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	dir := fs.String("kamailio", "", "directory to write kamailio.cfg into")
	algorithm := fs.String("algorithm", "MD5", "digest algorithm Kamailio challenges with: MD5 or SHA-256 (Kamailio 5.6 offers one)")
	listen := fs.String("listen", "127.0.0.1:5060", "host:port Kamailio listens on")
	transport := fs.String("transport", "udp,tcp", "transports Kamailio listens on, comma-separated: udp, tcp")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usagef("sipconfig", "sipconfig: give --kamailio DIR")
	}
	alg, err := sipconfig.Algorithm(*algorithm)
	if err != nil {
		return usagef("sipconfig", "sipconfig: --%v", err)
	}
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	opts := sipconfig.Options{DatabaseURL: sf.database, DataDir: sf.data, Dir: *dir,
		Algorithm: alg, Listen: *listen, Transports: strings.Split(*transport, ",")}
	if _, err := sipconfig.Render(opts); err != nil { // refused options change nothing
		return fmt.Errorf("sipconfig: %w", err)
	}
	// Every password set from now on, through any surface, keeps the HA1
	// Kamailio will ask for; accounts without it cannot register until
	// their password is set again.
	svc, err := cliService(st, sf, "", stderr)
	if err != nil {
		return err
	}
	missing, err := svc.SetSIPPlaneAlgorithm(ctx, sb.SystemActor, alg)
	if err != nil {
		return err
	}
	files, err := sipconfig.Write(opts)
	if err != nil {
		return fmt.Errorf("sipconfig: %w", err)
	}
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", f.Path)
	}
	fmt.Fprintf(stdout, "the SIP plane's algorithm is %s: passwords set from now on keep its HA1\n", alg)
	if missing > 0 {
		fmt.Fprintf(stdout, "%d activated accounts have no %s HA1 and cannot register until their password is set again\n", missing, alg)
	}
	return nil
}
