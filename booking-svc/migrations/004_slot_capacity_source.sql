-- 004: where a slot row's capacity comes from. A row written by SetInventory is an
-- explicit override; a row a booking had to create (a slot with no row yet) follows the
-- resource's capacity, so changing the resource's capacity changes it too.
ALTER TABLE slots ADD COLUMN inherits boolean NOT NULL DEFAULT false;
