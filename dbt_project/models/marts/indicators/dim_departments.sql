-- Departments (seed ref_departments) with the aliases each is known by.
with

departments as (
    select * from {{ ref('ref_departments') }}
),

aliases as (
    select
        dept_name,
        count(*) as alias_count
    from {{ ref('ref_department_aliases') }}
    group by dept_name
),

final as (
    select
        cast(departments.dept_id as varchar) as dept_id,
        cast(departments.dept_name as varchar) as dept_name,
        cast(departments.short_name as varchar) as short_name,
        cast(departments.dept_kind as varchar) as dept_kind,
        cast(departments.sort_order as integer) as sort_order,
        cast(coalesce(aliases.alias_count, 0) as integer) as alias_count
    from departments
    left join aliases on departments.dept_name = aliases.dept_name
)

select * from final
