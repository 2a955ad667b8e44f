# One number format in both languages (Django's zh_Hans default groups by four with no separator):
# 1,234,567.89 for counts and money, read by intcomma, floatformat's "g" and crm_site.formatting.
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
