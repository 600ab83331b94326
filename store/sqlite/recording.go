package sqlite

import (
	"encoding/json"

	"switchboard/store"
)

// recordedParts is the JSON of call_records.recordings (PROTOCOL §12).
type recordedParts struct {
	Recording  *store.RecordingRef  `json:"recording,omitempty"`
	Recordings []store.RecordingRef `json:"recordings,omitempty"`
}

// recordRecordings is r's recordings column: "" when not recorded.
func recordRecordings(r store.CallRecord) (string, error) {
	if r.Recording == nil && len(r.Recordings) == 0 {
		return "", nil
	}
	b, err := json.Marshal(recordedParts{r.Recording, r.Recordings})
	return string(b), err
}

// readRecordings fills r's recording fields from the column.
func readRecordings(col string, r *store.CallRecord) error {
	if col == "" {
		return nil
	}
	var p recordedParts
	if err := json.Unmarshal([]byte(col), &p); err != nil {
		return err
	}
	r.Recording, r.Recordings = p.Recording, p.Recordings
	return nil
}
