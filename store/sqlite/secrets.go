package sqlite

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"switchboard/store"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// SetPassword sets agent agentID's password (stored as bcrypt).
func (s *SQLite) SetPassword(ctx context.Context, agentID, password string) error {
	h, err := store.HashPassword(password)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE agents SET password_hash = ? WHERE id = ?`, h, agentID)
		if err != nil {
			return fmt.Errorf("set password %s: %w", agentID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 { // both drivers (SQLite, pgx) support RowsAffected
			return fmt.Errorf("agent %s: %w", agentID, store.ErrNotFound)
		}
		return nil
	})
}

// CheckPassword reports whether password is agent agentID's password. An
// unknown agent, or one without a password, gives false and no error.
func (s *SQLite) CheckPassword(ctx context.Context, agentID, password string) (bool, error) {
	var h string
	err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM agents WHERE id = ?`, agentID).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the same time as a real check so ids cannot be probed.
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password)) // the time is wanted, not the answer
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check password %s: %w", agentID, err)
	}
	if h == "" {
		return false, nil
	}
	return bcrypt.CompareHashAndPassword([]byte(h), []byte(password)) == nil, nil
}

// dummyHash is made on first use, not at package init (where every start of
// the binary paid for it): a short constant at a valid cost, so it never fails.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("switchboard-dummy"), store.BcryptCost)
	return h
})

const adminTokenKey = "admin_token_sha256"

// AdminToken makes sure an admin token exists. The first call generates a
// random token, stores its SHA-256 hash and returns it with created=true
// (print it once); later calls return "", false.
func (s *SQLite) AdminToken(ctx context.Context) (token string, created bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var h string
		switch err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, adminTokenKey).Scan(&h); {
		case err == nil:
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		token = base64.RawURLEncoding.EncodeToString(b)
		created = true
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, adminTokenKey, hashToken(token))
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("admin token: %w", err)
	}
	return token, created, nil
}

// SetAdminToken replaces the admin token (e.g. from -admin-token).
func (s *SQLite) SetAdminToken(ctx context.Context, token string) error {
	if token == "" {
		return store.Invalid("token", "must not be empty")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, adminTokenKey, hashToken(token))
		return err
	})
}

// CheckAdminToken reports whether token is the admin token (constant-time
// comparison of hashes). With no token stored it returns false.
func (s *SQLite) CheckAdminToken(ctx context.Context, token string) (bool, error) {
	var h string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, adminTokenKey).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check admin token: %w", err)
	}
	return subtle.ConstantTimeCompare([]byte(h), []byte(hashToken(token))) == 1, nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
