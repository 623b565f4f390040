//go:build !unix

package store

import "errors"

// Where the wal-index file cannot be mapped, there is no read cache.
func mapIndex(string) ([]byte, error) { return nil, errors.New("no shared mappings here") }

func unmapIndex([]byte) error { return nil }

func loadIndex([]byte, []byte) {}
