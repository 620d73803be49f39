// A single-page storefront: the npm import, one tracker for the app's lifetime. Page views on
// history navigation are sent by the tracker itself.
import { createTracker } from 'shopbeacon';

const config = document.querySelector('meta[name="shopbeacon"]')?.dataset ?? {};
const tracker = createTracker({ key: config.key ?? '{{PUBLIC_KEY}}', endpoint: config.endpoint ?? '{{TRACKER}}' });

const product = { product_id: 'TS-ORG-01', name: 'Organic T-shirt', brand: 'Acme', unit_price: 19.9, category: 'Men/Tops/T-shirts', availability: 'in_stock' };
let cart = [];

const views = {
  home: () => `<h1>New season</h1><p><a href="/spa-storefront/product/${product.product_id}" data-link>${product.name}</a></p>`,
  product: () => {
    tracker.product({ ...product, url: location.href });
    return `<h1>${product.name}</h1><p>${product.unit_price} €</p><button id="add">Add to cart</button>`;
  },
  cart: () => `<h1>Cart</h1><p>${cart.length ? cart.map((i) => `${i.quantity} × ${i.name}`).join(', ') : 'Empty.'}</p>`,
};

function render() {
  const path = location.pathname.replace('/spa-storefront', '');
  const view = path.startsWith('/product/') ? 'product' : path === '/cart' ? 'cart' : 'home';
  document.getElementById('view').innerHTML = views[view]();
  document.getElementById('add')?.addEventListener('click', () => {
    cart = [{ product_id: product.product_id, name: product.name, category: product.category, quantity: 1, unit_price: product.unit_price }];
    tracker.cart({ items: cart, cart_amount: product.unit_price, currency: 'EUR', cart_recovery_url: `${location.origin}/spa-storefront/cart` });
    navigate('/spa-storefront/cart');
  });
}

function navigate(url) {
  history.pushState(null, '', url);
  render();
}

document.addEventListener('click', (e) => {
  const link = e.target.closest('a[data-link]');
  if (!link) return;
  e.preventDefault();
  navigate(link.getAttribute('href'));
});
addEventListener('popstate', render);
render();
