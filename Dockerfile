# okg: one image with every okg binary. Not built in CI (the CI machines have no container
# engine); build it with `docker build -t okg .`.
FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      gcc make pkg-config libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev \
      libcjson-dev libssl-dev libyaml-dev libnghttp2-dev ca-certificates openssl curl procps \
      iproute2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j"$(nproc)" BUILD=/out DEPS_PROFILE=--build-only all \
 && strip /out/okg /out/okg-*

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libmicrohttpd12 libgnutls30 libcurl4 libcjson1 libssl3 libyaml-0-2 libnghttp2-14 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 65532 --no-create-home --shell /usr/sbin/nologin okg
COPY --from=build /out/okg /out/okg-* /out/kubectl-okg /usr/local/bin/
USER 65532:65532
