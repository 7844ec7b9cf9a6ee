/* The demo shop of `talad-server demo`: a Thai minimart with a catalog of
 * groceries, drinks and snacks (Thai and English titles, EAN-13 barcodes with
 * the GS1 Thailand prefix 885), stock levels, staff with PINs and custom
 * payment methods. Everything but the ids is the same on every run. */
#ifndef TALAD_SERVER_DEMODATA_H
#define TALAD_SERVER_DEMODATA_H

#include "server/store.h"

#include <stddef.h>

#define DEMO_SHOP_NAME     "Talad Demo Market"
#define DEMO_LOCATION_NAME "หน้าร้าน (Front store)"
#define DEMO_OWNER_EMAIL   "owner@demo.example"
#define DEMO_OWNER_NAME    "สมชาย (Owner)"
#define DEMO_CASHIER_EMAIL "cashier@demo.example"
#define DEMO_CASHIER_NAME  "มาลี (Cashier)"
#define DEMO_PASSWORD      "demo1234"
#define DEMO_OWNER_PIN     "9999"
#define DEMO_CASHIER_PIN   "1111"

/* The demo shop's settings (THB, VAT 7 % included, tax id, address...). */
void demodata_shop(struct st_shop *s);

/* Adds the catalog with its stock at location_id, the cashier and the
 * payment methods, in the caller's transaction. TALAD_OK or a store error
 * with a message in err. */
int demodata_fill(struct store *st, const char *location_id, char *err, size_t errlen);

/* How many products and variants the demo catalog has. */
size_t demodata_products(void);
size_t demodata_variants(void);

#endif
