# Build the genre daemon, then ship it on a slim image with libpq and the Swift runtime.
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev libopenblas-dev pkg-config python3-pip \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib \
 && mkdir -p /out && cp "$(swift build -c release --show-bin-path)/genre" /out/ \
 && cp -R "$(swift build -c release --show-bin-path)/genre_GenreSchema.resources" /out/ \
 && GENRE_MODEL_DIR=/out/model /out/genre model fetch

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libopenblas0 ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app genre
WORKDIR /app
COPY --from=build /out/ /app/
ENV GENRE_MODEL_DIR=/app/model
USER genre
# SIGTERM stops the daemon gracefully: in-flight claims are finished or released.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/genre"]
CMD ["run"]
