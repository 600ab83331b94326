//go:build race

package store

import "golang.org/x/crypto/bcrypt"

// Under the race detector bcrypt runs 22 times slower: one hash at cost 10
// takes 2.3 s of CPU (0.1 s without -race), and every agent.put, login and
// the constant-time dummy check pays it. The -race builds are test builds
// only (CI and the e2e tests' gateway binary), so they hash at the minimum
// cost, 64 times cheaper; the code paths are the same. A release build has
// no race tag and keeps bcrypt.DefaultCost.
const bcryptCost = bcrypt.MinCost
