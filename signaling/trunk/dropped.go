package trunk

import "log/slog"

// infoIf logs the error of a last word toward a carrier that may already
// be gone (a final response, a retransmission, a BYE racing the far end's
// own): the call is over for us either way, so it is a line for the
// operator, not a reason to fail anything. Nothing the trunk sends is
// dropped with `_ =`.
func infoIf(log *slog.Logger, err error, msg string, args ...any) {
	if err != nil {
		log.Info(msg, append(args, "err", err)...)
	}
}
