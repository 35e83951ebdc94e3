# Schakel gateway image: multi-stage, runs as a non-root user, with a health check.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY bin ./bin
COPY src ./src
COPY adapters ./adapters
COPY schemas ./schemas
COPY config ./config
COPY data ./data

FROM node:20-bookworm-slim
# Serves on every interface, so it needs your own configuration mounted at SCHAKEL_CONFIG (the demo one is refused).
ENV NODE_ENV=production SCHAKEL_DATA_DIR=/var/lib/schakel PORT=8080 SCHAKEL_HOST=0.0.0.0 SCHAKEL_CONFIG=/etc/schakel/schakel.yaml
WORKDIR /app
COPY --from=build /app /app
RUN useradd --system --uid 10001 --home /var/lib/schakel schakel && mkdir -p /var/lib/schakel && chown schakel /var/lib/schakel && chmod 0700 /var/lib/schakel
USER schakel
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/schakel.mjs", "serve"]
