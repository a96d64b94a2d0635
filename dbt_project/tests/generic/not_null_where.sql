{# `column_name` is not null on the rows where `condition` holds (e.g. a light's reason when the light is —). #}
{% test not_null_where(model, column_name, condition) %}
select *
from {{ model }}
where ({{ condition }}) and {{ column_name }} is null
{% endtest %}
