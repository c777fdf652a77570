#!/usr/bin/env bash
# Runs once, when the postgres image initialises its data directory (docker-entrypoint-initdb.d).
# It gives the cluster the same settings and databases the local stack gives its own cluster.
set -euo pipefail

# The settings file is mounted from infra/local/config/postgresql.conf; the server the entrypoint
# starts after this script reads it.
echo "include '/etc/postgresql/evergreen.conf'" >> "$PGDATA/postgresql.conf"

# POSTGRES_USER (evergreen) is the image's superuser, so it may already replicate; the registry
# keeps its schemas in a database of its own, and so does the order service (database per service).
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
ALTER ROLE "$POSTGRES_USER" WITH REPLICATION;
CREATE DATABASE "$EVERGREEN_REGISTRY_DATABASE" OWNER "$POSTGRES_USER";
CREATE DATABASE "$EVERGREEN_ORDERS_PG_DATABASE" OWNER "$POSTGRES_USER";
SQL
