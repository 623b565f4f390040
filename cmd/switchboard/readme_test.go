package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/store/storetest"
)

// The README test runs README.md's walk-through as a newcomer would. The
// conventions it reads (they are explained in README.md's "Development"):
//
//   - Every ```sh block runs, in order, in one bash process (set -euo
//     pipefail), so shell variables carry from one block to the next. Other
//     shell fences (bash, shell, console) are refused, so that nothing
//     escapes the test by its spelling.
//   - <!-- readme-test: skip REASON --> on the line before a block leaves it
//     out; <!-- readme-test: server --> marks a block that starts the server:
//     the test stops the previous server, starts the block in the
//     background and waits for /healthz.
//   - The placeholders substituted are 127.0.0.1:8080 (a free port; the
//     server gets it as SWITCHBOARD_LISTEN) and nothing else. `go build -o
//     switchboard ./cmd/switchboard` is answered by the binary the test
//     built from the same tree; the working directory (and so ./data) is
//     fresh.
//   - Every curl must answer 2xx, or exactly the status announced by a
//     comment "-> NNN" (or "→ NNN") on the command's first line or on a
//     comment line before it.
var readmeMarker = regexp.MustCompile(`^<!--\s*readme-test:\s*(\w+)\s*(.*?)\s*-->$`)

// readmeAnnounced finds an announced status in a shell comment.
var readmeAnnounced = regexp.MustCompile(`(?:->|→)\s*([1-5][0-9][0-9])\b`)

// readmeListen is the address the README uses, replaced by a free one.
const readmeListen = "127.0.0.1:8080"

// readmeBlock is one ```sh block of the README.
type readmeBlock struct {
	line   int // of the opening fence, 1-based
	server bool
	lines  []string
}

// parseReadme returns the blocks to run, in order.
func parseReadme(md string) ([]readmeBlock, error) {
	var blocks []readmeBlock
	var marker, markerArg string
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if m := readmeMarker.FindStringSubmatch(l); m != nil {
			switch m[1] {
			case "skip":
				if m[2] == "" {
					return nil, fmt.Errorf("README.md:%d: a skip says why", i+1)
				}
			case "server":
			default:
				return nil, fmt.Errorf("README.md:%d: unknown readme-test marker %q", i+1, m[1])
			}
			marker, markerArg = m[1], m[2]
			continue
		}
		if !strings.HasPrefix(l, "```") {
			if l != "" {
				marker = ""
			}
			continue
		}
		lang := strings.Fields(strings.TrimPrefix(l, "```") + " ")
		start := i
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, lines[i])
		}
		if i == len(lines) {
			return nil, fmt.Errorf("README.md:%d: unclosed code block", start+1)
		}
		kind := ""
		if len(lang) > 0 {
			kind = lang[0]
		}
		switch kind {
		case "bash", "shell", "console", "zsh":
			return nil, fmt.Errorf("README.md:%d: shell blocks are ```sh (run by this test, or marked <!-- readme-test: skip REASON -->), not ```%s", start+1, kind)
		case "sh":
			if marker != "skip" {
				blocks = append(blocks, readmeBlock{line: start + 1, server: marker == "server", lines: body})
			}
		default:
			if marker != "" {
				return nil, fmt.Errorf("README.md:%d: readme-test %s %s marks a block that is not ```sh", start+1, marker, markerArg)
			}
		}
		marker = ""
	}
	return blocks, nil
}

// readmePrelude defines the helpers the blocks run with. __RT is a private
// directory: "want" holds the announced status of the next curl (a file, so
// that curls in $(...) consume it too), "failures" every failure seen.
const readmePrelude = `set -euo pipefail
__fail() { echo "README TEST FAILURE at $__where: $*" >&2; echo "$__where: $*" >>"$__RT/failures"; }
__block() {
  if [ -s "$__RT/want" ]; then __fail "announced status $(cat "$__RT/want") was used by no curl"; : >"$__RT/want"; fi
  __where=$1; echo "=== $__where" >&2
}
__expect() {
  if [ -s "$__RT/want" ]; then __fail "announced status $(cat "$__RT/want") was used by no curl"; fi
  echo "$1" >"$__RT/want"
}
curl() {
  local want="" hdr rc=0 code url="" a at="script line ${BASH_LINENO[0]}"
  for a in "$@"; do case $a in http://* | https://*) url=$a ;; esac; done
  if [ -s "$__RT/want" ]; then want=$(cat "$__RT/want"); : >"$__RT/want"; fi
  hdr=$(mktemp "$__RT/headers.XXXXXX")
  command curl --no-progress-meter -D "$hdr" "$@" || rc=$?
  code=$(sed -n 's/^HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' "$hdr" | tail -n 1)
  rm -f "$hdr"
  if [ "$rc" -ne 0 ]; then __fail "$at: curl $url exited $rc (status ${code:-none})"; return "$rc"; fi
  case "${want:-2xx}:$code" in
    2xx:2??) ;;
    "$want:$want") ;;
    *) __fail "$at: curl $url answered ${code:-nothing}, the README announces ${want:-2xx}"; return 22 ;;
  esac
}
go() {
  if [ "$*" = "build -o switchboard ./cmd/switchboard" ]; then return 0; fi
  __fail "the README test runs no go command but the build: go $*"; return 1
}
__stop() {
  if [ -s "$__RT/server.pid" ]; then
    local pid; pid=$(cat "$__RT/server.pid"); : >"$__RT/server.pid"
    kill -TERM -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}
__serve() {
  local body pid i; body=$(cat)
  __stop
  set -m
  ( eval "$body" ) >>"$__RT/server.out" 2>&1 &
  pid=$!
  set +m
  echo "$pid" >"$__RT/server.pid"
  for i in $(seq 200); do
    if command curl -fsS -o /dev/null "$__HEALTH" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.05
  done
  __fail "the server did not answer $__HEALTH; its output:"; cat "$__RT/server.out" >&2; return 1
}
trap __stop EXIT
trap 'echo "README TEST: the command at script line $LINENO failed" >&2' ERR
`

// readmeScript turns the blocks into one bash script; addr replaces
// 127.0.0.1:8080. at maps the script's line numbers (1-based) to README.md's
// (0: a line of the test's own).
func readmeScript(blocks []readmeBlock, addr string) (script string, at []int, err error) {
	var b strings.Builder
	at = []int{0}
	emit := func(line string, readmeLine int) {
		b.WriteString(line + "\n")
		at = append(at, readmeLine)
	}
	for _, l := range strings.Split(strings.TrimSuffix(readmePrelude, "\n"), "\n") {
		emit(l, 0)
	}
	for n, blk := range blocks {
		emit(fmt.Sprintf("__block 'README.md:%d (block %d)'", blk.line, n+1), 0)
		if blk.server {
			emit("__serve <<'__README_SERVER__'", 0)
		}
		inQuote, cont := false, false
		for i, raw := range blk.lines {
			line := blk.line + i + 1
			l := strings.ReplaceAll(raw, readmeListen, addr)
			first := !inQuote && !cont
			code, comment, open := scanShellLine(l, inQuote)
			if m := readmeAnnounced.FindStringSubmatch(comment); m != nil {
				switch {
				case blk.server:
					return "", nil, fmt.Errorf("README.md:%d: a server block announces no status", line)
				case !first:
					return "", nil, fmt.Errorf("README.md:%d: announce a status on a command's first line or on a comment line before it", line)
				case strings.TrimSpace(code) == "":
					// A comment line: the announcement is for the next curl.
					emit(l, line)
					emit("__expect "+m[1], 0)
					continue
				default:
					emit("__expect "+m[1], 0)
				}
			}
			inQuote = open
			cont = strings.HasSuffix(strings.TrimRight(code, " \t"), "\\")
			emit(l, line)
		}
		if blk.server {
			emit("__README_SERVER__", 0)
		}
	}
	emit("__block 'the end of README.md'", 0)
	return b.String(), at, nil
}

// readmeLines rewrites "script line N" in the script's messages as the
// README line it came from.
func readmeLines(msg string, at []int) string {
	return regexp.MustCompile(`script line (\d+)`).ReplaceAllStringFunc(msg, func(m string) string {
		n, _ := strconv.Atoi(strings.TrimPrefix(m, "script line "))
		if n > 0 && n < len(at) && at[n] > 0 {
			return fmt.Sprintf("README.md:%d", at[n])
		}
		return m
	})
}

// scanShellLine splits a shell line at its comment (a # at the start or
// after a blank, outside quotes) and says whether a single-quoted string is
// still open at its end; inQuote says one was open at its start.
func scanShellLine(l string, inQuote bool) (code, comment string, open bool) {
	sq, dq := inQuote, false
	for i, c := range l {
		switch {
		case c == '\'' && !dq:
			sq = !sq
		case c == '"' && !sq:
			dq = !dq
		case c == '#' && !sq && !dq && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t'):
			return l[:i], l[i:], false
		}
	}
	return l, "", sq
}

// freePorts are n free TCP ports on loopback, all different and none of
// avoid: each listener is held open until every port is chosen (ports
// taken one after the other, each closed at once, can come back the same:
// Pebble's API and management ports once did, and Pebble could not start).
func freePorts(t *testing.T, n int, avoid ...string) []string {
	t.Helper()
	var ports []string
	for len(ports) < n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		if _, port, _ := strings.Cut(ln.Addr().String(), ":"); !slices.Contains(avoid, port) {
			ports = append(ports, port)
		}
	}
	return ports
}

// readmeTools are what the README's blocks call besides switchboard.
var readmeTools = []string{"bash", "curl", "jq", "openssl", "pebble", "pebble-challtestsrv"}

func needReadmeTools(t *testing.T) {
	t.Helper()
	for _, tool := range readmeTools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing in CI: .ci/run installs it", tool)
			}
			t.Skipf("%s not installed: the README test needs %s", tool, strings.Join(readmeTools, ", "))
		}
	}
}

// runReadme runs the blocks in a fresh working directory holding the
// switchboard binary bin (if any) and returns the script's output and its
// failures.
func runReadme(t *testing.T, blocks []readmeBlock, addr, bin string, env []string) (string, error) {
	t.Helper()
	script, at, err := readmeScript(blocks, addr)
	if err != nil {
		t.Fatal(err)
	}
	work, rt := t.TempDir(), t.TempDir()
	if bin != "" {
		if err := os.Link(bin, filepath.Join(work, "switchboard")); err != nil {
			data, err := os.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(work, "switchboard"), data, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The README runs from the root of a clone: its scripts are there.
	scripts, err := filepath.Abs(filepath.Join("..", "..", "scripts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(scripts, filepath.Join(work, "scripts")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(rt, "readme.sh")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", path)
	cmd.Dir = work
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	_, serverPort, _ := strings.Cut(addr, ":")
	pebble := freePorts(t, 6, serverPort)
	cmd.Env = append(cmd.Env, "__RT="+rt, "__HEALTH=http://"+addr+"/healthz", "SWITCHBOARD_LISTEN="+addr,
		// scripts/pebble.sh: a private directory and free ports.
		"PEBBLE_DIR="+filepath.Join(rt, "pebble"), "PEBBLE_PORT="+pebble[0], "PEBBLE_HTTP01_PORT="+pebble[1],
		"PEBBLE_MGMT_PORT="+pebble[2], "PEBBLE_TLS_PORT="+pebble[3], "PEBBLE_DNS_PORT="+pebble[4], "PEBBLE_DNS_MGMT_PORT="+pebble[5])
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	// What the script left running (Pebble, a server) goes with its group.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	// The server runs in a process group of its own.
	if pid, err := os.ReadFile(filepath.Join(rt, "server.pid")); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
			syscall.Kill(-n, syscall.SIGKILL)
		}
	}
	failures, _ := os.ReadFile(filepath.Join(rt, "failures"))
	switch {
	case len(failures) > 0:
		return readmeLines(out.String(), at), fmt.Errorf("%s", readmeLines(string(failures), at))
	case runErr != nil:
		return readmeLines(out.String(), at), fmt.Errorf("the script failed: %v", runErr)
	}
	return out.String(), nil
}

// TestReadmeRunsAsWritten runs README.md top to bottom against the server it
// starts, on each database.
func TestReadmeRunsAsWritten(t *testing.T) {
	needReadmeTools(t)
	md, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseReadme(string(md))
	if err != nil {
		t.Fatal(err)
	}
	servers := 0
	for _, b := range blocks {
		if b.server {
			servers++
		}
	}
	if servers == 0 || len(blocks) < 8 {
		t.Fatalf("README.md has %d runnable blocks, %d of them servers: the markers are lost", len(blocks), servers)
	}
	bin := filepath.Join(t.TempDir(), "switchboard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			var env []string
			if b.Name != "sqlite" {
				// The README's own commands on SQLite; on PostgreSQL every
				// command gets the database from the environment.
				env = append(env, "SWITCHBOARD_DATABASE="+b.URL(t))
			}
			if out, err := runReadme(t, blocks, freeAddr(t), bin, env); err != nil {
				t.Fatalf("README.md does not run as written: %v\noutput:\n%s", err, out)
			}
		})
	}
}

// TestReadmeHarness checks that the README test fails when it should: on a
// status the README does not announce, a failing command, an unset
// variable, or an announcement no curl uses.
func TestReadmeHarness(t *testing.T) {
	needReadmeTools(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		if code == 0 {
			code = 200
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"status":%d}`, code)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name, block, fail string // fail: "" when the block must pass
	}{
		{"a 2xx passes", "curl -s http://127.0.0.1:8080/status/204", ""},
		{"an unannounced 404 fails", "curl -s http://127.0.0.1:8080/status/404", "the README announces 2xx"},
		{"a trailing announcement allows its status", "curl -s http://127.0.0.1:8080/status/404   # -> 404", ""},
		{"a comment line announces the next curl", "# unknown -> 401\nX=$(curl -s http://127.0.0.1:8080/status/401 | jq -r .status)\ntest \"$X\" = 401", ""},
		{"an announced status must be exact", "curl -s http://127.0.0.1:8080/status/200   # → 201", "announces 201"},
		{"an announcement lasts one curl", "# -> 401\ncurl -s http://127.0.0.1:8080/status/401\ncurl -s http://127.0.0.1:8080/status/401", "announces 2xx"},
		{"a failure names its README line", "true\ncurl -s http://127.0.0.1:8080/status/500", "README.md:5: curl http://"},
		{"a curl in a pipe fails the script", "curl -s http://127.0.0.1:8080/status/500 | cat", "announces 2xx"},
		{"a failing command fails the script", "false\necho not reached", "the script failed"},
		{"an unset variable fails the script", "echo $NOT_SET_ANYWHERE", "the script failed"},
		{"an unused announcement fails", "# -> 404\necho no curl here", "used by no curl"},
		{"variables carry between blocks", "V=1\n```\n\n```sh\ntest \"$V\" = 1", ""},
		{"a skipped block does not run", "true\n```\n\n<!-- readme-test: skip for the harness -->\n```sh\nfalse", ""},
		{"only the build runs through go", "go run ./cmd/switchboard serve", "runs no go command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks, err := parseReadme("# test\n\n```sh\n" + tt.block + "\n```\n")
			if err != nil {
				t.Fatal(err)
			}
			out, err := runReadme(t, blocks, addr, "", nil)
			switch {
			case tt.fail == "" && err != nil:
				t.Fatalf("failed: %v\n%s", err, out)
			case tt.fail != "" && err == nil:
				t.Fatalf("passed, want a failure %q\n%s", tt.fail, out)
			case tt.fail != "" && !strings.Contains(err.Error(), tt.fail):
				t.Fatalf("failed with %v, want %q\n%s", err, tt.fail, out)
			}
		})
	}
	refused := []struct{ name, md string }{
		{"a bash fence", "```bash\ntrue\n```\n"},
		{"a skip without a reason", "<!-- readme-test: skip -->\n```sh\ntrue\n```\n"},
		{"an unknown marker", "<!-- readme-test: later -->\n```sh\ntrue\n```\n"},
		{"an unclosed block", "```sh\ntrue\n"},
	}
	for _, tt := range refused {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			if _, err := parseReadme(tt.md); err == nil {
				t.Fatal("parsed")
			}
		})
	}
	t.Run("refuses an announcement inside a continued command", func(t *testing.T) {
		blocks, err := parseReadme("```sh\ncurl -s \\\n  http://x/   # -> 404\n```\n")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := readmeScript(blocks, addr); err == nil {
			t.Fatal("accepted")
		}
	})
}
