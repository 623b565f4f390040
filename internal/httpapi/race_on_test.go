//go:build race

package httpapi_test

// raceDetector is whether the test binary runs with -race, which makes the
// pure-Go SQLite about forty times slower.
const raceDetector = true
