package sqlite

import "switchboard/store"

var _ store.JournalStore = (*SQLite)(nil)
