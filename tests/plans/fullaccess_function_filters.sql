-- user: demo_fullaccess
-- purpose: data-maintenance
SELECT p.name, r.program, b.use_type
FROM household.persons AS p
JOIN welfare.recipients AS r ON r.national_id = p.national_id
JOIN building.permits AS b ON b.owner_national_id = p.national_id
WHERE year(p.birth_date) = 1980 AND lower(p.name) LIKE '%x%'
  AND lower(r.program) = 'x' AND year(b.issued_on) >= 2015 AND month(b.issued_on) = 3
