# syntax=docker/dockerfile:1
#
# The image of Evergreen's services, for the docker-compose demo (infra/docker-compose.yml).
# It sits in infra/docker/ with the compose file's other container inputs rather than at the root:
# the services run on the host by default (`npm start`), and a container is one way of running them,
# like the local stack is another. One Dockerfile for the six services, because they share the
# monorepo, its lockfile and `npm run build`; they differ only in the dist/ they start, which the
# SERVICE build argument names.
#
#   build     every workspace's dependencies and `npm run build` (each service bundled into
#             services/<name>/dist). It is also the image of compose's one-shot `setup` service:
#             db:migrate, schemas:register and connect:apply run their TypeScript through tsx,
#             a devDependency, and the migrations, schemas and connector files in the tree.
#   runtime   (the last stage, so the default) one service: its bundle, its production
#             dependencies only, the settings and schemas it reads at run time, a non-root user.
#
# Build context: the repository root. NODE_MAJOR is pinned in infra/versions.env, and compose
# passes it; there is no default here, so a second pin cannot drift from that one.

ARG NODE_MAJOR

# Debian rather than Alpine: lz4-napi ships its prebuilt binary for glibc.
FROM node:${NODE_MAJOR}-bookworm-slim AS base
WORKDIR /app

# Every workspace's package.json and the lockfile, in their places, and nothing else, so that the
# npm ci layers below are rebuilt when dependencies change and not on every edit of a source file.
FROM base AS manifests
COPY . /context
RUN cd /context \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents '{}' /app/ ';' \
 && cp package-lock.json /app/

FROM base AS build
COPY --from=manifests /app/ ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
# The setup service runs from this stage: as the image's unprivileged user, like the services.
USER node

FROM base AS runtime
ARG SERVICE
# The variable of infra/stack.env that holds the port of SERVICE's /health (EVERGREEN_API_PORT, ...).
ARG PORT_VARIABLE
ENV NODE_ENV=production
COPY --from=manifests /app/ ./
# --workspace: the service's dependencies and, through the workspace packages it uses, theirs;
# not those of the other services, the tests or the benchmarks.
RUN npm ci --omit=dev --workspace "services/${SERVICE}" --no-audit --no-fund \
 && npm cache clean --force
# What the bundle reads at run time: the stack's settings (the repository root is found by
# infra/stack.env), the Avro schemas under schemas/, and the bundle itself.
COPY infra/versions.env infra/stack.env infra/
COPY schemas/ schemas/
COPY infra/docker/healthcheck.mjs infra/docker/
COPY --from=build /app/services/${SERVICE}/dist/ services/${SERVICE}/dist/
USER node
WORKDIR /app/services/${SERVICE}
# In a container the service listens on every interface of the container's own network; the host
# publishes it on 127.0.0.1 only (infra/docker-compose.yml).
ENV EVERGREEN_API_HOST=0.0.0.0 \
    EVERGREEN_HEALTH_PORT_VARIABLE=${PORT_VARIABLE}
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/app/infra/docker/healthcheck.mjs"]
# `.` starts the file the service's package.json names as `main`: the bundle `npm run build` wrote,
# as the local supervisor runs it. Node is PID 1; each service handles SIGTERM itself (it drains).
CMD ["node", "--enable-source-maps", "."]
