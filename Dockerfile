# syntax=docker/dockerfile:1
# Switchboard: multi-stage build of a static binary, run as a non-root user.
#
#   docker build -t switchboard .
#   docker run --rm --network host -v sbdata:/data switchboard -media-ip <host IP>
#
# Ports (with -p instead of --network host, publish all of them and set
# -media-ip to the address peers reach):
#   5060/udp, 5060/tcp  SIP trunk (-sip-addr)
#   8080/tcp            HTTP: softphone, admin console, websockets, /metrics, /healthz (-http-addr)
#   20002/udp           agents' WebRTC media, one shared UDP port (-webrtc-port)
#   10000-20000/udp     trunk RTP (-rtp-ports); publishing 10001 ports with -p is slow, prefer
#                       --network host or a smaller range, e.g. -rtp-ports 10000-10999 and
#                       -p 10000-10999:10000-10999/udp

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/switchboard ./cmd/switchboard \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/switchboard /usr/local/bin/switchboard
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
ENV SWITCHBOARD_DATA=/data
EXPOSE 5060/udp 5060/tcp 8080/tcp 10000-20000/udp 20002/udp
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/switchboard"]
