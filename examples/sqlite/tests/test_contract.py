"""The connector against crm-enrich's contract kit, as any third-party plugin runs it."""

import sqlite3
from datetime import timedelta

from crm_enrich.testing import NOW, ConnectorContract
from crm_enrich_sqlite import SqliteConnector

COLUMNS = {
    "companies": ["id", "name", "domain", "website", "industry", "employees", "annual_revenue", "country",
                  "technologies", "updated_at"],
    "contacts": ["id", "email", "first_name", "last_name", "job_title", "company_id", "phone", "country", "updated_at"],
}


class TestSqlite(ConnectorContract):
    plugin = SqliteConnector

    def seed(self, tmp_path, companies, contacts):
        db = tmp_path / "crm.db"
        with sqlite3.connect(db) as conn:
            for table, rows in (("companies", companies), ("contacts", contacts)):
                names = COLUMNS[table]
                conn.execute(f"CREATE TABLE {table} ({', '.join(names)})")
                for i, row in enumerate(rows):
                    row = {"updated_at": (NOW - timedelta(days=i)).isoformat(), **row}
                    if row.get("technologies"):
                        row["technologies"] = ";".join(row["technologies"])
                    conn.execute(f"INSERT INTO {table} VALUES ({', '.join('?' * len(names))})",
                                 [row.get(n) for n in names])
        conn.close()
        return {"path": str(db), "contacts": {"updated_at": "updated_at"}}

    def touch(self, settings, object_type, record_id):
        with sqlite3.connect(settings["path"]) as conn:
            conn.execute(f"UPDATE {object_type} SET updated_at = '2030-01-01T00:00:00+00:00' WHERE id = ?", (record_id,))
        conn.close()

    def unreachable(self, tmp_path):
        return {"path": str(tmp_path / "no-such.db")}


class TestSqliteIntoALabelTable(TestSqlite):
    """``labels = "table"``: the CRM tables stay as they are."""

    def seed(self, tmp_path, companies, contacts):
        return {**super().seed(tmp_path, companies, contacts), "labels": "table"}
