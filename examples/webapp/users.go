package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// users maps user names to bcrypt hashes. It is read-only after loading and
// safe for concurrent use.
type users struct {
	hashes map[string][]byte
	// dummy is checked for unknown users, so that a wrong user name takes
	// as long as a wrong password.
	dummy []byte
}

// loadUsers reads the users file at path, or returns the demo user
// (demo == true) when path is empty.
func loadUsers(path string) (u *users, demo bool, err error) {
	u = &users{hashes: map[string][]byte{}}
	if path == "" {
		h, err := bcrypt.GenerateFromPassword([]byte("demo"), bcrypt.DefaultCost)
		if err != nil {
			return nil, false, err
		}
		u.hashes["demo"] = h
		demo = true
	} else {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, false, fmt.Errorf("users file: %w", err)
		}
		if err := u.parse(data); err != nil {
			return nil, false, fmt.Errorf("users file %s: %w", path, err)
		}
	}
	// The dummy hash, checked for unknown users, costs what the costliest
	// known user's does: an unknown name takes as long as a known one, and
	// no longer (a DefaultCost dummy beside MinCost users both told them
	// apart and, under -race on a busy machine, outran the write timeout).
	cost := bcrypt.MinCost
	for _, h := range u.hashes {
		if c, _ := bcrypt.Cost(h); c > cost {
			cost = c
		}
	}
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return nil, false, err
	}
	if u.dummy, err = bcrypt.GenerateFromPassword(random, cost); err != nil {
		return nil, false, err
	}
	return u, demo, nil
}

// parse reads "username:bcrypt-hash" lines (htpasswd -B format), skipping
// blank lines and # comments. Errors name the line, never the hash.
func (u *users) parse(data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		switch {
		case !ok || name == "" || strings.ContainsAny(name, " \t"):
			return fmt.Errorf("line %d: want username:bcrypt-hash", n)
		case u.hashes[name] != nil:
			return fmt.Errorf("line %d: duplicate user %q", n, name)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return fmt.Errorf("line %d: user %q: not a bcrypt hash (make one with htpasswd -nB %s)", n, name, name)
		}
		u.hashes[name] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(u.hashes) == 0 {
		return fmt.Errorf("no users")
	}
	return nil
}

// check reports whether password is the password of name.
func (u *users) check(name, password string) bool {
	h, ok := u.hashes[name]
	if !ok {
		h = u.dummy
	}
	err := bcrypt.CompareHashAndPassword(h, []byte(password))
	return ok && err == nil
}
