package db

// Table is shared by the services.
const Table = "ledger"
