//go:build !race

package store

import "golang.org/x/crypto/bcrypt"

const bcryptCost = bcrypt.DefaultCost
