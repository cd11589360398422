// A completed outfit grouped by slot (top, bottom, shoes, bag, accessory): for each slot the
// product card and the reason it fits. Props: {title, slots: [{slot, slotName, reason,
// product: {id, name, price, priceText, imageUrl, source, attributes}}]} (stylist/ui/artifacts.py).
// source: "wardrobe" (the person's own piece, priceText "yours"), "to_buy" (a catalog piece
// filling a slot their wardrobe could not, "to buy · $24.00") or "catalog".
export default function OutfitBoard() {
  const slots = props.slots || [];
  return (
    <div data-testid="outfit-board" className="w-full">
      <div className="font-semibold mb-2">{props.title}</div>
      <div style={{ display: "flex", flexDirection: "column", gap: "0.5rem" }}>
        {slots.map((s) => (
          <div key={s.slot} data-testid="outfit-slot" data-slot={s.slot}
               data-item-id={s.product.id} data-price={s.product.price}
               data-source={s.product.source}
               className="rounded-md border bg-card"
               style={{ display: "grid", gridTemplateColumns: "96px 1fr", gap: "0.6rem",
                        padding: "0.4rem", alignItems: "center" }}>
            <img src={s.product.imageUrl} alt={s.product.name} loading="lazy"
                 style={{ width: "96px", height: "96px", objectFit: "contain", background: "#fff" }} />
            <div>
              <div className="text-muted-foreground text-xs uppercase">{s.slotName}</div>
              <div className="text-sm font-medium">{s.product.name}</div>
              <div data-testid="slot-price" className="text-primary text-sm font-semibold">
                {s.product.priceText}
              </div>
              <div className="text-sm">{s.reason}</div>
              <div className="text-muted-foreground" style={{ fontSize: "0.65rem" }}>
                {s.product.attributes.map((a) => a.value).join(" · ")}
              </div>
            </div>
          </div>
        ))}
      </div>
    </div>
  );
}
