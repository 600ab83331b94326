package store

import (
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// BcryptCost is the cost of password hashes: bcrypt.DefaultCost (10) in
// every build that ships (see cost.go and cost_race.go).
const BcryptCost = bcryptCost

// HashPassword returns the bcrypt hash of password, for Agent.PasswordHash.
// Passwords must be 1 to 72 bytes (bcrypt's limit).
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", Invalid("password", "must not be empty")
	}
	if len(password) > 72 {
		return "", Invalid("password", "longer than 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}
