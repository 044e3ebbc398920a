-- user: demo_fullaccess
-- purpose: statistics
SELECT p.district, r.program, count(*) AS persons, sum(r.monthly_amount) AS total
FROM household.persons AS p
JOIN welfare.recipients AS r ON r.national_id = p.national_id
WHERE r.start_date >= DATE '2020-01-01'
GROUP BY p.district, r.program
