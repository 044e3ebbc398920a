-- user: clerk_daan
-- purpose: welfare-eligibility
SELECT p.national_id, p.name, p.birth_date, r.program, r.start_date
FROM household.persons AS p
LEFT JOIN welfare.recipients AS r ON r.national_id = p.national_id
WHERE p.national_id IN ('A123456789', 'A223456781')
