-- user: analyst_dbas
-- purpose: statistics
SELECT p.district, r.program, count(*) AS persons, sum(r.monthly_amount) AS total
FROM household.persons AS p
JOIN welfare.recipients AS r ON r.national_id = p.national_id
GROUP BY p.district, r.program
