# Schakel gateway image: built from source to JavaScript (dist/), run with plain node as a non-root user.
#
#   docker build -t schakel .
#   docker run --read-only -v schakel-data:/var/lib/schakel -v ./schakel.yaml:/etc/schakel/schakel.yaml:ro \
#     -p 8080:8080 schakel
#
# The image runs the configuration mounted at /etc/schakel/schakel.yaml (SCHAKEL_CONFIG); there is no built-in
# configuration to fall back on, so the demo configuration never listens on 0.0.0.0 here. Data (the SQLite
# store) goes to the volume /var/lib/schakel. The root filesystem can be read-only: nothing is compiled or
# cached at run time. Tools: `docker run --rm schakel hash-password`, `new-api-key`, `check-config`, `backup`.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 builds its native binding here (for the same Node as the runtime stage).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY tools/build-dist.mjs ./tools/build-dist.mjs
COPY src ./src
COPY adapters ./adapters
COPY config ./config
COPY schemas ./schemas
COPY data ./data
# Compile, then drop the development tools (tsx, typescript, vitest …) from node_modules.
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    SCHAKEL_RUNTIME=dist \
    SCHAKEL_CONFIG=/etc/schakel/schakel.yaml \
    SCHAKEL_DATA_DIR=/var/lib/schakel \
    SCHAKEL_HOST=0.0.0.0 \
    PORT=8080 \
    LOG_FORMAT=json
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN useradd --system --uid 10001 --home-dir /var/lib/schakel --shell /usr/sbin/nologin schakel \
 && mkdir -p /var/lib/schakel /etc/schakel \
 && chown 10001 /var/lib/schakel \
 && ln -s /app/bin/schakel.mjs /usr/local/bin/schakel
USER 10001
VOLUME ["/var/lib/schakel"]
EXPOSE 8080
# Asks /healthz with the scheme the configuration serves (https with server.tls, presenting our own certificate).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["schakel", "healthcheck"]
ENTRYPOINT ["schakel"]
CMD ["serve"]
