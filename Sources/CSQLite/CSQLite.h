// The system's SQLite (Debian: libsqlite3-dev), for the VolFS sidecar.
#include <sqlite3.h>
