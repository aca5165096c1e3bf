# One image for every process; the compose file / Procfile picks the command.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
COPY migrations ./migrations
COPY test ./test
COPY bench ./bench
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim
# pg_dump for the backups worker; ffmpeg and pocketsphinx for transcripts (see docs/OPERATIONS.md).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client ffmpeg pocketsphinx pocketsphinx-en-us \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
# The version start/stop notices and the critical log name (there is no .git in the image):
#   docker compose build --build-arg SOURCE_VERSION=$(git rev-parse --short=12 HEAD)
ARG SOURCE_VERSION=unknown
ENV SOURCE_VERSION=$SOURCE_VERSION
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# BACKUP_DIR in compose: a named volume mounted here takes this folder's owner, so the node user can write to it.
# LOG_DIR in compose (the app-logs volume) likewise.
RUN mkdir -p /app/backups /app/logs && chown node:node /app/backups /app/logs
USER node
CMD ["node", "dist/workers/main.js"]
