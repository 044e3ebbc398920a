-- user: demo_fullaccess
-- purpose: data-maintenance
SELECT p.name, r.program, o.parcel_no
FROM household.persons AS p
LEFT JOIN welfare.recipients AS r ON r.national_id = p.national_id
LEFT JOIN land.ownership AS o ON o.owner_national_id = p.national_id
WHERE p.national_id = 'A123456789'
