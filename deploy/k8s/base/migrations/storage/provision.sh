#!/bin/sh
# Makes the documents bucket and gives the documents service's access key read and write to it, nothing else:
# no deletes, since issued document bytes are immutable. Safe to run again.
set -eu
mc alias set cabinet "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing --with-versioning "cabinet/$BUCKET"
mc admin policy create cabinet documents /provisioning/documents-policy.json
mc admin user add cabinet "$DOCUMENTS_ACCESS_KEY" "$DOCUMENTS_SECRET_KEY"
if ! mc admin user info cabinet "$DOCUMENTS_ACCESS_KEY" --json | grep -q '"documents"'; then
  mc admin policy attach cabinet documents --user "$DOCUMENTS_ACCESS_KEY"
fi
echo "storage: bucket $BUCKET ready for $DOCUMENTS_ACCESS_KEY"
