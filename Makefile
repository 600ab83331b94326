# Developer targets (CI runs `bash .ci/run`, not make).
.PHONY: test run screenshots

# The README's test command.
test:
	go test -race ./...

# The gateway on the embedded default store (the README's quick start).
run:
	go run ./cmd/switchboard

# Screenshots of every softphone and console state the Chromium tests reach
# (incoming offer, cards, task offers and task cards with wrap-up, transfer, connection states, audio setup, panels,
# narrow layouts …; every test of both pages' packages) written to artifacts/screenshots/*.png, for a person to
# look at. Needs Debian's chromium.
screenshots:
	rm -rf artifacts/screenshots
	SB_SCREENSHOTS=$(CURDIR)/artifacts/screenshots go test -count=1 ./web/phoneui/ ./web/adminui/
	@ls artifacts/screenshots
