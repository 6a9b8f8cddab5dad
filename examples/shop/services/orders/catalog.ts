/** The shop's small fixed catalog. Prices are integer cents, so totals never round. */
export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly priceCents: number;
}

export const CURRENCY = 'EUR';

const PRODUCTS: readonly Product[] = [
  { sku: 'TEA-GREEN', name: 'Green tea, 100 g', priceCents: 650 },
  { sku: 'TEA-BLACK', name: 'Black tea, 100 g', priceCents: 550 },
  { sku: 'MUG-1', name: 'Stoneware mug', priceCents: 1200 },
  { sku: 'POT-1', name: 'Cast-iron teapot', priceCents: 4500 },
];

const BY_SKU: ReadonlyMap<string, Product> = new Map(PRODUCTS.map((product) => [product.sku, product]));

export function findProduct(sku: string): Product | undefined {
  return BY_SKU.get(sku);
}
