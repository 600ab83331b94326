package sqlite

// MigrationForTest returns schema step i, for migration tests.
func MigrationForTest(i int) string { return migrations[i] }

// MigrationCountForTest returns the schema version Open brings a database to.
func MigrationCountForTest() int { return len(migrations) }
