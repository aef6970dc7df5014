//go:build unix

package main

import (
	"os"
	"syscall"
)

// keepOwner gives f the owner of the file at path, when that exists and
// cdkpush runs as root (say under sudo), so that rewriting a user's docker
// config does not hand it to root.
func keepOwner(f *os.File, path string) {
	fi, err := os.Stat(path)
	if err != nil || os.Geteuid() != 0 {
		return
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		_ = f.Chown(int(st.Uid), int(st.Gid))
	}
}
