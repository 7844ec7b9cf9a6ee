/* The demo catalog as a table, turned into products, variants, barcodes and
 * stock. Barcodes are 885 (GS1 Thailand) + company 1234 + a running item
 * number + the check digit, so every one of them scans. */
#include "server/demodata.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "core/barcode.h"
#include "server/cred.h"

#include <stdio.h>
#include <string.h>

struct demo_variant {
	const char *title; /* NULL for a product's only variant */
	const char *sku;
	int64_t price; /* satang */
	int64_t stock;
};

struct demo_product {
	const char *title;
	bool taxable; /* fresh produce is VAT-exempt in Thailand */
	bool tracked; /* made-to-order dishes are not counted */
	struct demo_variant v[3];
};

static const struct demo_product catalog[] = {
    {"น้ำดื่มสิงห์ (Singha Drinking Water)",
     true,
     true,
     {{"600 ml", "DRK-SINGHAWATER-600", 700, 120}, {"1.5 L", "DRK-SINGHAWATER-1500", 1400, 60}}},
    {"โคคา-โคล่า (Coca-Cola)",
     true,
     true,
     {{"325 ml can", "DRK-COKE-325", 1500, 96}, {"1.25 L bottle", "DRK-COKE-1250", 3200, 30}}},
    {"เป๊ปซี่ (Pepsi)", true, true, {{NULL, "DRK-PEPSI-345", 1500, 72}}},
    {"แฟนต้า น้ำแดง (Fanta Strawberry)", true, true, {{NULL, "DRK-FANTA-RED", 1500, 48}}},
    {"สไปรท์ (Sprite)", true, true, {{NULL, "DRK-SPRITE-325", 1500, 48}}},
    {"กระทิงแดง (Krating Daeng Energy Drink)", true, true, {{NULL, "DRK-KRATINGDAENG", 1200, 80}}},
    {"เอ็ม-150 (M-150 Energy Drink)", true, true, {{NULL, "DRK-M150", 1200, 80}}},
    {"ชาเขียวโออิชิ (Oishi Green Tea)",
     true,
     true,
     {{"น้ำผึ้งมะนาว (Honey Lemon)", "DRK-OISHI-HONEYLEMON", 2000, 36},
      {"ต้นตำรับ (Original)", "DRK-OISHI-ORIGINAL", 2000, 36},
      {"ข้าวญี่ปุ่น (Genmai)", "DRK-OISHI-GENMAI", 2000, 1}}},
    {"นมจืดไทย-เดนมาร์ค (Thai-Denmark Plain Milk)",
     true,
     true,
     {{NULL, "DRK-THAIDENMARK-200", 1300, 40}}},
    {"นมเปรี้ยวดัชมิลล์ (Dutch Mill Yogurt Drink)",
     true,
     true,
     {{"สตรอเบอร์รี่ (Strawberry)", "DRK-DUTCHMILL-STRAWBERRY", 1200, 30},
      {"ส้ม (Orange)", "DRK-DUTCHMILL-ORANGE", 1200, 30},
      {"ผลไม้รวม (Mixed Fruit)", "DRK-DUTCHMILL-MIXED", 1200, 30}}},
    {"กาแฟกระป๋องเนสกาแฟ (Nescafé Canned Coffee)",
     true,
     true,
     {{NULL, "DRK-NESCAFE-CAN", 1500, 48}}},
    {"เบียร์สิงห์ (Singha Beer)",
     true,
     true,
     {{"330 ml can", "DRK-SINGHABEER-330", 4500, 48},
      {"620 ml bottle", "DRK-SINGHABEER-620", 6500, 24}}},
    {"เบียร์ช้าง (Chang Beer)", true, true, {{NULL, "DRK-CHANG-320", 4200, 48}}},
    {"โซดาสิงห์ (Singha Soda Water)", true, true, {{NULL, "DRK-SINGHASODA", 1000, 60}}},
    {"น้ำมะพร้าว (Coconut Water)", true, true, {{NULL, "DRK-COCONUT-350", 2500, 0}}},
    {"มาม่า บะหมี่กึ่งสำเร็จรูป (Mama Instant Noodles)",
     true,
     true,
     {{"ต้มยำกุ้ง (Tom Yum Shrimp)", "GRO-MAMA-TOMYUM", 700, 150},
      {"หมูสับ (Minced Pork)", "GRO-MAMA-PORK", 700, 120},
      {"แกงเขียวหวาน (Green Curry)", "GRO-MAMA-GREENCURRY", 700, 90}}},
    {"ไวไว บะหมี่กึ่งสำเร็จรูป (Wai Wai Instant Noodles)", true, true, {{NULL, "GRO-WAIWAI", 600, 100}}},
    {"ยำยำ บะหมี่กึ่งสำเร็จรูป (Yum Yum Instant Noodles)", true, true, {{NULL, "GRO-YUMYUM", 600, 100}}},
    {"ข้าวหอมมะลิ (Thai Jasmine Rice)",
     true,
     true,
     {{"1 kg", "GRO-JASMINE-1KG", 4500, 25}, {"5 kg", "GRO-JASMINE-5KG", 20900, 10}}},
    {"น้ำปลาทิพรส (Tiparos Fish Sauce 700 ml)", true, true, {{NULL, "GRO-FISHSAUCE", 3500, 24}}},
    {"ซีอิ๊วขาวเด็กสมบูรณ์ (Healthy Boy Soy Sauce)", true, true, {{NULL, "GRO-SOYSAUCE", 3200, 20}}},
    {"น้ำมันพืชมรกต (Morakot Vegetable Oil 1 L)", true, true, {{NULL, "GRO-VEGOIL-1L", 5800, 18}}},
    {"น้ำตาลทรายมิตรผล (Mitr Phol Sugar 1 kg)", true, true, {{NULL, "GRO-SUGAR-1KG", 2600, 30}}},
    {"เกลือปรุงทิพย์ (Prung Thip Salt 500 g)", true, true, {{NULL, "GRO-SALT-500", 1000, 25}}},
    {"ซอสพริกศรีราชาพานิช (Sriraja Panich Chili Sauce)",
     true,
     true,
     {{NULL, "GRO-SRIRACHA", 3900, 20}}},
    {"น้ำพริกเผาแม่ประนอม (Mae Pranom Chili Paste)", true, true, {{NULL, "GRO-CHILIPASTE", 4200, 15}}},
    {"ไข่ไก่ (Chicken Eggs)",
     false,
     true,
     {{"แพ็ค 10 ฟอง (Pack of 10)", "FRS-EGGS-10", 4500, 20},
      {"แผง 30 ฟอง (Tray of 30)", "FRS-EGGS-30", 12500, 8}}},
    {"มะม่วงน้ำดอกไม้ (Nam Dok Mai Mango, 1 kg)", false, true, {{NULL, "FRS-MANGO-1KG", 8000, 12}}},
    {"กล้วยหอม (Hom Banana, bunch)", false, true, {{NULL, "FRS-BANANA", 3500, 15}}},
    {"ขนมปังฟาร์มเฮ้าส์ (Farmhouse Sandwich Bread)", true, true, {{NULL, "BAK-FARMHOUSE", 3800, 14}}},
    {"เลย์ มันฝรั่งทอดกรอบ (Lay's Potato Chips)",
     true,
     true,
     {{"รสคลาสสิค (Classic)", "SNK-LAYS-CLASSIC", 2000, 30},
      {"รสโนริสาหร่าย (Nori Seaweed)", "SNK-LAYS-NORI", 2000, 30},
      {"รสหมึกย่างฮอตชิลลี่ (Hot Chili Squid)", "SNK-LAYS-SQUID", 2000, 1}}},
    {"ทาโร ปลาเส้น (Taro Fish Snack)", true, true, {{NULL, "SNK-TARO", 2000, 40}}},
    {"เถ้าแก่น้อย สาหร่ายทอด (Tao Kae Noi Crispy Seaweed)",
     true,
     true,
     {{NULL, "SNK-TAOKAENOI", 2500, 40}}},
    {"ป๊อกกี้ (Pocky)",
     true,
     true,
     {{"ช็อกโกแลต (Chocolate)", "SNK-POCKY-CHOC", 2000, 30},
      {"สตรอเบอร์รี่ (Strawberry)", "SNK-POCKY-STRAWBERRY", 2000, 0}}},
    {"ขนมเปี๊ยะ (Khanom Pia Pastry)", true, true, {{NULL, "SNK-KHANOMPIA", 3500, 12}}},
    {"ข้าวเกรียบกุ้ง (Prawn Crackers)", true, true, {{NULL, "SNK-PRAWNCRACKER", 1500, 35}}},
    {"โก๋แก่ ถั่วลิสงอบ (Koh-Kae Peanuts)", true, true, {{NULL, "SNK-KOHKAE", 2000, 40}}},
    {"ยูโร่ คัสตาร์ดเค้ก (Euro Custard Cake)", true, true, {{NULL, "SNK-EURO-CUSTARD", 600, 60}}},
    {"มะม่วงอบแห้ง (Dried Mango)", true, true, {{NULL, "SNK-DRIEDMANGO", 8900, 15}}},
    {"ทุเรียนทอด (Durian Chips)", true, true, {{NULL, "SNK-DURIANCHIPS", 12000, 1}}},
    {"ไอศกรีมวอลล์ คอร์นเนตโต (Wall's Cornetto)", true, true, {{NULL, "SNK-CORNETTO", 3000, 24}}},
    {"ข้าวเหนียวมะม่วง (Mango Sticky Rice)", true, false, {{NULL, "FOOD-MANGOSTICKY", 6000, 0}}},
    {"ผัดไทย (Pad Thai)", true, false, {{NULL, "FOOD-PADTHAI", 5000, 0}}},
    {"ส้มตำไทย (Som Tam Papaya Salad)", true, false, {{NULL, "FOOD-SOMTAM", 4000, 0}}},
    {"สบู่นกแก้ว (Parrot Soap)", true, true, {{NULL, "HOM-PARROTSOAP", 1200, 40}}},
    {"ยาสีฟันคอลเกต (Colgate Toothpaste 150 g)", true, true, {{NULL, "HOM-COLGATE-150", 5500, 20}}},
    {"แชมพูซันซิล (Sunsilk Shampoo 160 ml)", true, true, {{NULL, "HOM-SUNSILK-160", 6900, 15}}},
    {"ผงซักฟอกบรีส (Breeze Detergent 800 g)", true, true, {{NULL, "HOM-BREEZE-800", 7500, 12}}},
    {"กระดาษทิชชู่สก็อตต์ (Scott Tissue, 6 rolls)", true, true, {{NULL, "HOM-SCOTT-6", 8900, 10}}},
    {"ยาดมโป๊ยเซียน (Poy-Sian Inhaler)", true, true, {{NULL, "HOM-POYSIAN", 2500, 30}}},
    {"ยาหม่องตราเสือ (Tiger Balm 19 g)", true, true, {{NULL, "HOM-TIGERBALM", 4500, 1}}},
    {"ถ่านพานาโซนิค AA (Panasonic AA Batteries, 4 pack)",
     true,
     true,
     {{NULL, "HOM-BATTERY-AA4", 6000, 16}}},
    {"ถุงผ้าตลาด (Talad Tote Bag)", true, true, {{NULL, "HOM-TOTEBAG", 3900, 25}}},
};
#define NPRODUCTS (sizeof(catalog) / sizeof(catalog[0]))

static size_t nvariants(const struct demo_product *p)
{
	size_t n = 0;
	while (n < 3 && p->v[n].sku)
		n++;
	return n;
}

size_t demodata_products(void)
{
	return NPRODUCTS;
}

size_t demodata_variants(void)
{
	size_t n = 0;
	for (size_t i = 0; i < NPRODUCTS; i++)
		n += nvariants(&catalog[i]);
	return n;
}

void demodata_shop(struct st_shop *s)
{
	memset(s, 0, sizeof(*s));
	strlcpy_t(s->name, DEMO_SHOP_NAME, sizeof(s->name));
	strlcpy_t(s->currency, "THB", sizeof(s->currency));
	s->exponent = 2;
	s->tax_rate_ppm = 70000;
	s->tax_included = true;
	s->tax_rounding = TAX_ROUND_LINE;
	s->cash_increment = 25;
	strlcpy_t(s->tax_id, "0105558000001", sizeof(s->tax_id));
	strlcpy_t(s->address, "99/9 ถนนสุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพฯ 10110",
	          sizeof(s->address));
	strlcpy_t(s->receipt_header, "ตลาดเดโม", sizeof(s->receipt_header));
	strlcpy_t(s->receipt_footer, "ขอบคุณที่อุดหนุน / Thank you", sizeof(s->receipt_footer));
	strlcpy_t(s->promptpay_id, "0812345678", sizeof(s->promptpay_id));
	s->discount_limit_ppm = ST_DISCOUNT_LIMIT_DEFAULT;
}

/* 885 + 1234 + a five-digit item number + the GS1 check digit. */
static int make_barcode(unsigned item, char out[ST_BARCODE_MAX])
{
	char digits[16];
	int check;
	snprintf(digits, sizeof(digits), "8851234%05u", item);
	int rc = barcode_check_digit(digits, 12, &check);
	if (rc)
		return rc;
	snprintf(out, ST_BARCODE_MAX, "%s%d", digits, check);
	return TALAD_OK;
}

static int add_stock(struct store *st, const char *variant_id, const char *location_id,
                     int64_t stock, int64_t now)
{
	if (stock == 0)
		return TALAD_OK;
	struct st_delta d = {
	    .delta = stock, .reason = "count", .order_id = NULL, .created_at = now};
	int64_t level;
	uuid_v7(d.id);
	strlcpy_t(d.variant_id, variant_id, sizeof(d.variant_id));
	strlcpy_t(d.location_id, location_id, sizeof(d.location_id));
	int err = st->ops->delta_add(st, &d);
	return err ? err : st->ops->level_add(st, variant_id, location_id, stock, &level);
}

static int add_staff(struct store *st, const char *name, const char *email, enum st_role role,
                     const char *pin)
{
	struct st_staff s = {.role = role};
	uuid_v7(s.id);
	strlcpy_t(s.name, name, sizeof(s.name));
	strlcpy_t(s.email, email, sizeof(s.email));
	if (cred_hash_password(DEMO_PASSWORD, s.password_hash) || cred_hash_pin(pin, s.pin_hash))
		return TALAD_EIO;
	return st->ops->staff_add(st, &s);
}

int demodata_fill(struct store *st, const char *location_id, char *err, size_t errlen)
{
	int64_t now = time_now_ms();
	unsigned item = 1;
	int rc;
	for (size_t i = 0; i < NPRODUCTS; i++) {
		const struct demo_product *dp = &catalog[i];
		struct st_variant vs[3];
		struct st_product p = {.variants = vs, .nvariants = nvariants(dp)};
		uuid_v7(p.id);
		strlcpy_t(p.title, dp->title, sizeof(p.title));
		for (size_t k = 0; k < p.nvariants; k++) {
			struct st_variant *v = &vs[k];
			memset(v, 0, sizeof(*v));
			uuid_v7(v->id);
			strlcpy_t(v->sku, dp->v[k].sku, sizeof(v->sku));
			strlcpy_t(v->title, dp->v[k].title ? dp->v[k].title : "", sizeof(v->title));
			if ((rc = make_barcode(item++, v->barcode)))
				goto fail;
			v->price = dp->v[k].price;
			v->taxable = dp->taxable;
			v->tracked = dp->tracked;
		}
		if ((rc = st->ops->product_put(st, &p, true)))
			goto fail;
		for (size_t k = 0; k < p.nvariants; k++)
			if (dp->tracked &&
			    (rc = add_stock(st, vs[k].id, location_id, dp->v[k].stock, now)))
				goto fail;
	}
	static const char *const methods[] = {"PromptPay QR", "Bank transfer"};
	for (size_t i = 0; i < 2; i++) {
		struct st_paymethod m;
		uuid_v7(m.id);
		strlcpy_t(m.name, methods[i], sizeof(m.name));
		if ((rc = st->ops->paymethod_add(st, &m)))
			goto fail;
	}
	if ((rc = add_staff(st, DEMO_CASHIER_NAME, DEMO_CASHIER_EMAIL, ST_ROLE_CASHIER,
	                    DEMO_CASHIER_PIN)))
		goto fail;
	return TALAD_OK;
fail:
	snprintf(err, errlen, "cannot create the demo catalog: %s", talad_strerror(rc));
	return rc;
}
