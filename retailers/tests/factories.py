import datetime
from decimal import Decimal

import factory

from retailers.models import (
    BusinessType,
    ComplianceRecord,
    MarketType,
    Order,
    Product,
    Region,
    Retailer,
    ServiceArea,
    ZoneType,
)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"R{n:03d}")
    name = factory.Sequence(lambda n: f"第{n}区")


class ServiceAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceArea

    code = factory.Sequence(lambda n: f"A{n:04d}")
    name = factory.Sequence(lambda n: f"第{n}片区")
    region = factory.SubFactory(RegionFactory)


class RetailerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Retailer

    license_no = factory.Sequence(lambda n: f"320102{n:06d}")
    license_expires_on = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=700))
    name = factory.Sequence(lambda n: f"王记便利店{n}号")
    owner_name = "王建国"
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    address = "玄武区中山路1号"
    business_type = BusinessType.CONVENIENCE
    market_type = MarketType.URBAN
    zone_type = ZoneType.RESIDENTIAL
    service_area = factory.SubFactory(ServiceAreaFactory)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:05d}")
    brand = "南京"
    name = factory.Sequence(lambda n: f"硬红{n}")
    price_class = 2
    wholesale_price = Decimal("260.00")
    retail_price = Decimal("300.00")
    tar_mg = Decimal("10.0")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    order_no = factory.Sequence(lambda n: f"DD{n:010d}")
    retailer = factory.SubFactory(RetailerFactory)
    ordered_on = factory.LazyFunction(datetime.date.today)
    amount = Decimal("2600.00")
    cartons = 10


class ComplianceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComplianceRecord

    retailer = factory.SubFactory(RetailerFactory)
    found_on = factory.LazyFunction(datetime.date.today)
    kind = "cross_territory"
    severity = "minor"
    source_department = "专卖稽查大队"
