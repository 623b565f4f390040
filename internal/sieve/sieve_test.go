package sieve_test

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/sieve"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// vacations are the golden cases, nasty strings included.
var vacations = []struct {
	name string
	v    sb.Vacation
}{
	{"always", sb.Vacation{Subject: "Out of office", Body: "I am away.\nBack soon.\n", Days: 7}},
	{"window", sb.Vacation{Subject: "Away", Body: "Away until the 20th.", Start: "2026-12-01", End: "2026-12-20", Days: 3,
		Addresses: []string{"info@example.org", "sales@example.org"}}},
	{"from-a-day", sb.Vacation{Body: "Gone.\n", Start: "2026-12-24", Days: 1}},
	{"until-a-day", sb.Vacation{Subject: "Back on Monday", Body: "Gone.\n", End: "2026-12-31", Days: 14}},
	{"nasty", sb.Vacation{
		Subject: `Abwesend: "Ferien" \ C:\temp\ — ünïcødé 日本語`,
		Body: "Hello \"friend\", C:\\path\\ here.\r\n.\r\n..\r\n.hidden line\r\ntext:\r\n# not a comment\r\n\r\n" +
			"\"];\r\nvacation :days 1 \"x\";\r\nGrüße, 日本語 🙂\r\n.",
		Days: 7}},
	{"empty-body-and-days", sb.Vacation{Subject: "Auto", Body: "", Days: 0}},
}

func TestVacationGolden(t *testing.T) {
	for _, tc := range vacations {
		t.Run(tc.name, func(t *testing.T) {
			got := sieve.Vacation(tc.v)
			path := filepath.Join("testdata", tc.name+".sieve")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("script differs from %s:\n%s", path, got)
			}
			compile(t, got)
			checkStrings(t, tc.v, got)
		})
	}
}

// checkStrings decodes the script's strings and checks that the subject,
// the addresses, the dates and the body come back as given.
func checkStrings(t *testing.T, v sb.Vacation, script string) {
	t.Helper()
	strs, err := decodeStrings(script)
	if err != nil {
		t.Fatalf("%v in\n%s", err, script)
	}
	var want []string
	if v.Start == "" && v.End == "" {
		want = append(want, "vacation")
	} else {
		want = append(want, "vacation", "date", "relational")
	}
	for _, d := range []struct{ rel, date string }{{"ge", v.Start}, {"le", v.End}} {
		if d.date != "" {
			want = append(want, sieve.Zone, d.rel, "date", clean(d.date))
		}
	}
	if v.Subject != "" {
		want = append(want, strings.Join(strings.FieldsFunc(clean(v.Subject), func(r rune) bool { return r == '\r' || r == '\n' }), " "))
	}
	for _, a := range v.Addresses {
		want = append(want, clean(a))
	}
	body := clean(strings.ReplaceAll(strings.ReplaceAll(v.Body, "\r\n", "\n"), "\r", "\n"))
	if body != "" && !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	want = append(want, body)
	if !slices.Equal(strs, want) {
		t.Errorf("strings in the script\n%q\nwant\n%q\nscript:\n%s", strs, want, script)
	}
}

func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// decodeStrings returns every string of a script in order, quoted strings
// unescaped and multi-line strings un-dot-stuffed (RFC 5228, 2.4.2), after
// the grammar, independently of the package's own quoting.
func decodeStrings(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		switch {
		case s[i] == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case s[i] == '"':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, errorf("unterminated quoted string")
				}
				if s[i] == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '"' {
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			out = append(out, b.String())
		case strings.HasPrefix(s[i:], "text:"):
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 || strings.TrimRight(s[i+5:i+nl], " \t") != "" {
				return nil, errorf("text: not followed by a line end")
			}
			i += nl + 1
			var b strings.Builder
			for {
				end := strings.IndexByte(s[i:], '\n')
				if end < 0 {
					return nil, errorf("unterminated multi-line string")
				}
				line := s[i : i+end]
				i += end + 1
				if line == "." {
					break
				}
				b.WriteString(strings.TrimPrefix(line, "."))
				b.WriteByte('\n')
			}
			out = append(out, b.String())
		default:
			i++
		}
	}
	return out, nil
}

type errorf string

func (e errorf) Error() string { return string(e) }

// compile runs Pigeonhole's sievec on the script: it must compile. Without
// sievec the check is skipped, except in CI, which installs dovecot-sieve.
func compile(t testing.TB, script string) {
	t.Helper()
	bin, err := exec.LookPath("sievec")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sievec not installed (apt-get install dovecot-sieve)")
		}
		return
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "empty.conf")
	path := filepath.Join(dir, "vacation.sieve")
	if err := os.WriteFile(conf, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-c", conf, path, filepath.Join(dir, "vacation.svbin")).CombinedOutput()
	if err != nil {
		t.Fatalf("sievec: %v\n%s\nscript:\n%s", err, out, script)
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		``:           `""`,
		`plain`:      `"plain"`,
		`a "b" c`:    `"a \"b\" c"`,
		`C:\dir\`:    `"C:\\dir\\"`,
		"nul\x00":    "\"nul\uFFFD\"",
		"bad\xffutf": "\"bad\uFFFDutf\"",
		`ü`:          `"ü"`,
	} {
		if got := sieve.Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// FuzzVacation feeds any subject, body and dates to the generator: the
// script always compiles and always says exactly what it was given.
func FuzzVacation(f *testing.F) {
	for _, tc := range vacations {
		f.Add(tc.v.Subject, tc.v.Body, tc.v.Start, tc.v.End, tc.v.Days)
	}
	f.Fuzz(func(t *testing.T, subject, body, start, end string, days int) {
		if len(subject)+len(body)+len(start)+len(end) > 1<<14 {
			return // sievec's time, not the generator's, would grow
		}
		v := sb.Vacation{Subject: subject, Body: body, Start: start, End: end, Days: days % 1000,
			Addresses: []string{"alias@example.org"}}
		script := sieve.Vacation(v)
		checkStrings(t, v, script)
		compile(t, script)

		// What the service's validation accepts reaches the script as it
		// was accepted, without a replaced character.
		sub, err1 := service.VacationSubject(subject)
		text, err2 := service.VacationBody(body)
		from, err3 := service.VacationDate("start_date", start)
		if err1 != nil || err2 != nil || err3 != nil {
			return
		}
		if clean(sub) != sub || clean(text) != text {
			t.Fatalf("validation let through what the script must replace: %q %q", sub, text)
		}
		v = sb.Vacation{Subject: sub, Body: text, Start: from, Days: 7}
		script = sieve.Vacation(v)
		checkStrings(t, v, script)
		compile(t, script)
	})
}
