// Product cards: photo, name, price and attributes of each catalog item a tool returned.
// Props: {title, filters: [{key, value}], products: [{id, number, label ("#2 · item 1534"), name,
// price, priceText, imageUrl, source ("catalog" | "wardrobe" | "to_buy"), corrected: [attribute
// keys the person corrected], attributes: [{key, name, value}]}]} (built by stylist/ui/artifacts.py). The data-* attributes
// let programs (and the end-to-end tests) read what is shown.
export default function ProductCards() {
  const products = props.products || [];
  const filters = props.filters || [];
  return (
    <div data-testid="product-cards" className="w-full">
      <div className="font-semibold mb-1">{props.title}</div>
      {filters.length > 0 && (
        <div className="text-muted-foreground text-sm mb-2">
          Filters: {filters.map((f) => f.value).join(" · ")}
        </div>
      )}
      <div style={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(150px, 1fr))",
                    gap: "0.6rem" }}>
        {products.map((p) => (
          <div key={p.id} data-testid="product-card" data-item-id={p.id} data-number={p.number}
               data-price={p.price} data-source={p.source}
               {...Object.fromEntries(p.attributes.map((a) => [`data-${a.key.toLowerCase()}`, a.value]))}
               className="rounded-md border overflow-hidden bg-card">
            <img src={p.imageUrl} alt={p.name} loading="lazy"
                 style={{ width: "100%", height: "140px", objectFit: "contain", background: "#fff" }} />
            <div className="p-2">
              <div data-testid="product-label" className="text-muted-foreground"
                   style={{ fontSize: "0.7rem" }}>
                {p.label}
              </div>
              <div data-testid="product-name" className="text-sm font-medium" style={{ lineHeight: 1.2 }}>
                {p.name}
              </div>
              <div data-testid="product-price" className="text-primary font-semibold text-sm">
                {p.priceText}
              </div>
              <div style={{ display: "flex", flexWrap: "wrap", gap: "0.25rem", marginTop: "0.25rem" }}>
                {p.attributes.map((a) => (
                  <span key={a.key} title={(p.corrected || []).includes(a.key) ? `${a.name} (corrected by you)` : a.name}
                        data-testid="product-attribute" data-key={a.key}
                        className="rounded-full bg-muted text-muted-foreground"
                        style={{ fontSize: "0.65rem", padding: "0 0.4rem" }}>
                    {a.value}
                  </span>
                ))}
              </div>
            </div>
          </div>
        ))}
      </div>
    </div>
  );
}
