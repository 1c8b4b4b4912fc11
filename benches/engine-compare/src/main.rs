//! Commits of BATCH message-sized records (600 bytes, keys (queue, id) ascending), one fsync
//! each, as stepyard's group commit writes them; prints commits per second per 50k records so
//! a cost that grows with the database shows. Usage: engine-compare DIR [TOTAL] [BATCH]
use std::time::Instant;

const ITEMS: redb::TableDefinition<(&str, u64), &[u8]> = redb::TableDefinition::new("items");

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&args[1]);
    let total: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(300_000);
    let batch: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(32);
    let value = vec![b'x'; 600];
    let parent = "sqs/0123456789abcdef0123456789abcdef";
    std::fs::create_dir_all(&dir).unwrap();

    let db = redb::Database::create(dir.join("redb.redb")).unwrap();
    let mut start = Instant::now();
    let mut id = 0;
    while id < total {
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn.open_table(ITEMS).unwrap();
            for _ in 0..batch {
                t.insert((parent, id), value.as_slice()).unwrap();
                id += 1;
            }
        }
        txn.commit().unwrap();
        if id % 50_000 < batch {
            println!("redb   {:>7} records: {:>7.0} records/s", id, 50_000.0 / start.elapsed().as_secs_f64());
            start = Instant::now();
        }
    }
    let size = std::fs::metadata(dir.join("redb.redb")).unwrap().len();
    println!("redb   bytes per record {}", size / total);

    let conn = rusqlite::Connection::open(dir.join("sqlite.db")).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
         CREATE TABLE IF NOT EXISTS items (parent TEXT, id INTEGER, value BLOB, PRIMARY KEY(parent, id)) WITHOUT ROWID;",
    )
    .unwrap();
    let mut start = Instant::now();
    let mut id = 0;
    let mut conn = conn;
    while id < total {
        let txn = conn.transaction().unwrap();
        {
            let mut stmt = txn.prepare_cached("INSERT OR REPLACE INTO items VALUES (?1, ?2, ?3)").unwrap();
            for _ in 0..batch {
                stmt.execute(rusqlite::params![parent, id as i64, value]).unwrap();
                id += 1;
            }
        }
        txn.commit().unwrap();
        if id % 50_000 < batch {
            println!("sqlite {:>7} records: {:>7.0} records/s", id, 50_000.0 / start.elapsed().as_secs_f64());
            start = Instant::now();
        }
    }
    let size = std::fs::metadata(dir.join("sqlite.db")).unwrap().len()
        + std::fs::metadata(dir.join("sqlite.db-wal")).map(|m| m.len()).unwrap_or(0);
    println!("sqlite bytes per record {}", size / total);
}
