package media

import "errors"

// Errors returned by Switch methods.
var (
	ErrUnknownCall   = errors.New("media: unknown call")
	ErrDuplicateCall = errors.New("media: call already in switch")
	ErrCapacity      = errors.New("media: switch at capacity")
	ErrClosed        = errors.New("media: switch closed")
	ErrBadState      = errors.New("media: invalid call state")
	ErrBadCodec      = errors.New("media: unsupported codec")
)
