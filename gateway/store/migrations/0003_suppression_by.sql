-- suppression: who put the customer on the list (the admin API's caller, or the desk agent). Rows written before
-- this migration have none (null: unknown).
ALTER TABLE suppression ADD COLUMN created_by text;
