-- user: demo_fullaccess
-- purpose: statistics
SELECT program, count(*) AS cases, avg(monthly_amount) AS mean
FROM welfare.recipients
WHERE district = '大安區'
GROUP BY program
