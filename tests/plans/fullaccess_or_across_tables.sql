-- user: demo_fullaccess
-- purpose: data-maintenance
SELECT b.permit_no, f.result
FROM building.permits AS b JOIN fire.inspections AS f ON f.address = b.address
WHERE (b.floors > 20 AND f.violations > 3) OR (b.floors < 3 AND f.violations > 5)
