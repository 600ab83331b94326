# syntax=docker/dockerfile:1
# Switchboard: multi-stage build of a static binary, run as a non-root user.
#
#   docker build -t switchboard .
#   docker run --rm --network host -v sbdata:/data switchboard -media-ip <host IP>
#
# With published ports (-p, bridge network) the host's address does not exist inside the
# container: keep the default -media-ip (the container's own address) and advertise the
# host's with -public-ip (passing the host IP as -media-ip fails with "cannot assign
# requested address"). Publish a small RTP range:
#
#   docker run --rm -v sbdata:/data -p 8080:8080 -p 8443:8443 -p 20002:20002/udp \
#     -p 5060:5060/udp -p 5060:5060/tcp -p 5061:5061/tcp -p 10000-10999:10000-10999/udp \
#     switchboard -public-ip <host IP> -rtp-ports 10000-10999 [-acme-domains NAME | -tls-cert ... -tls-key ...]
#
# Ports:
#   5060/udp, 5060/tcp  SIP trunk (-sip-addr); 5061/tcp SIP over TLS (-sip-tls-addr, with a certificate)
#   8080/tcp            HTTP (-http-addr): pages and websockets, or with a certificate only
#                       /healthz, /metrics, ACME HTTP-01 and a redirect to HTTPS
#   8443/tcp            HTTPS (-https-addr): pages and websockets, with -tls-cert or -acme-domains
#   20002/udp           agents' WebRTC media, one shared UDP port (-webrtc-port)
#   10000-20000/udp     trunk RTP and RTCP (-rtp-ports); one port pair per call
# For ACME the CA must reach the name on 443 or 80: -p 443:8443 -p 80:8080 and pass
# -https-addr :8443 -http-addr :8080 (with -acme-domains they default to :443/:80). See docs/DEPLOY.md.

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
EXPOSE 5060/udp 5060/tcp 5061/tcp 8080/tcp 8443/tcp 10000-20000/udp 20002/udp
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/switchboard"]
