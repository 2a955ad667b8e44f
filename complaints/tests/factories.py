import factory

from complaints.models import Ticket


class TicketDataFactory(factory.DictFactory):
    channel = "hotline"
    category = "delivery"
    priority = "normal"
    description = "本周卷烟到货晚了一天，影响销售。"


def ticket_data(**overrides) -> dict:
    return TicketDataFactory(**overrides)


__all__ = ["Ticket", "ticket_data"]
